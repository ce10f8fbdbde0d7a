using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Tessera.Methods.LoopedTf;

/// <summary>Gradient-boosted regression trees per prompt and prefix, the stand-in for the paper's
/// XGBRegressor(max_depth = 4, learning_rate = 0.1, n_estimators = 50): LightGBM (through ML.NET) with 50 rounds,
/// learning rate 0.1, trees of depth ≤ 4 (≤ 16 leaves), at least one example per leaf, one thread. LightGBM grows
/// trees leaf-wise and has no XGBoost L2 default (λ = 1), so the numbers are close to, not equal to, XGBoost's.
/// With a single context point the prediction is that point's y (LightGBM cannot split one row).</summary>
public sealed class BoostedTrees(bool sign, long seed) : IBaseline
{
    public const int Rounds = 50;
    public const double LearningRate = 0.1;
    public const int MaxDepth = 4;

    private readonly MLContext _ml = new((int)(seed & int.MaxValue));

    public string Name => sign ? "boosting_sign" : "boosting";

    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        var input = sign ? xs.sign() : xs;
        return Baselines.PerPrefix(input, ys, (x, y, query) => y.Length < 2 ? y[0] : FitPredict(x, y, query))
            .MoveToOuterDisposeScope();
    }

    /// <summary>Fits one boosted ensemble on (x, y) and predicts at <paramref name="query"/>.</summary>
    public double FitPredict(double[][] x, double[] y, double[] query)
    {
        int d = query.Length;
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        IDataView train = _ml.Data.LoadFromEnumerable(
            x.Select((row, i) => new Row { Features = row.Select(v => (float)v).ToArray(), Label = (float)y[i] }).ToArray(), schema);
        var trainer = _ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
        {
            NumberOfIterations = Rounds,
            LearningRate = LearningRate,
            NumberOfLeaves = 1 << MaxDepth,
            MinimumExampleCountPerLeaf = 1,
            NumberOfThreads = 1,
            Seed = (int)(seed & int.MaxValue),
            Booster = new GradientBooster.Options { MaximumTreeDepth = MaxDepth },
        });
        var model = trainer.Fit(train);
        var engine = _ml.Model.CreatePredictionEngine<Row, Score>(model, inputSchemaDefinition: schema);
        return engine.Predict(new Row { Features = query.Select(v => (float)v).ToArray() }).Value;
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class Score
    {
        [ColumnName("Score")]
        public float Value { get; set; }
    }
}
