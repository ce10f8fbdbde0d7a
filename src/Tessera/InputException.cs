namespace Tessera;

/// <summary>Bad configuration or input data: the user can fix it. The CLI maps it to exit code 2.
/// Messages name the file or config path, the problem, and the fix.</summary>
public class InputException : Exception
{
    public InputException(string message) : base(message)
    {
    }

    public InputException(string message, Exception inner) : base(message, inner)
    {
    }
}
