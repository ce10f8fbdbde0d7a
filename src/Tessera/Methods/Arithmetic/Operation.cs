namespace Tessera.Methods.Arithmetic;

/// <summary>The arithmetic tasks of the paper (spec §2.1).</summary>
public enum Operation
{
    Add,
    Subtract,
    Multiply,
    Sin,
    Sqrt,
}

public static class OperationExtensions
{
    /// <summary>True for the integer operations (+, -, *), false for sin and sqrt.</summary>
    public static bool IsInteger(this Operation op) => op is Operation.Add or Operation.Subtract or Operation.Multiply;

    /// <summary>The operator character of an integer operation: '+', '-' or '*'.</summary>
    public static char Symbol(this Operation op) => op switch
    {
        Operation.Add => '+',
        Operation.Subtract => '-',
        Operation.Multiply => '*',
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "sin and sqrt have no operator symbol."),
    };

    /// <summary>The function name of sin/sqrt as written in the examples ("sin", "sqrt").</summary>
    public static string FunctionName(this Operation op) => op switch
    {
        Operation.Sin => "sin",
        Operation.Sqrt => "sqrt",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Only sin and sqrt are written as functions."),
    };
}
