namespace Tessera.Data;

/// <summary>One federated text client: a name (category, book, speaker) and all of its raw text.</summary>
public sealed record TextClient(string Name, string Text);
