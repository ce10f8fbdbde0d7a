namespace Tessera.Plots;

/// <summary>
/// One curve of a <see cref="LinePlot"/>: points (X[i], Y[i]), optionally with a symmetric error bar ErrorY[i].
/// A point whose X or Y is NaN or infinite is skipped and breaks the line there, so a series may have gaps.
/// </summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">X values, same length as <paramref name="Y"/>.</param>
/// <param name="Y">Y values.</param>
/// <param name="ErrorY">Optional half-widths of the error bars, same length as <paramref name="Y"/>; NaN means no bar.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? ErrorY = null);
