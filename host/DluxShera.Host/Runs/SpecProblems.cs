using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>
/// Every problem of a run spec found before anything runs — the spec's own keys and each component's name,
/// preset and options — collected so that one error reports them all (docs/run-spec.md "Errors"), each naming
/// its JSON path and, when a <c>--set</c> assignment put the value there, that assignment.
/// </summary>
/// <param name="specFile">The spec file (the prefix of the message).</param>
/// <param name="overrides">The <c>--set</c> assignments (to attribute problems to them).</param>
public sealed class SpecProblems(string specFile, IReadOnlyList<string> overrides)
{
    private readonly List<string> _problems = [];

    /// <summary>The problems so far.</summary>
    public IReadOnlyList<string> All => _problems;

    /// <summary>Adds the problems of a binding error (one per line of its message).</summary>
    /// <param name="e">The binder's exception.</param>
    public void Add(ComponentOptionsException e)
    {
        foreach (string line in e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Add(line);
        }
    }

    /// <summary>Adds one problem (a message starting with its JSON path).</summary>
    /// <param name="problem">The problem.</param>
    public void Add(string problem) => _problems.Add(RunSpecLoader.Attribute(problem, overrides));

    /// <summary>Whether a problem was found at <paramref name="path"/> or below it (then the block is not used further:
    /// a component whose reference did not bind would only add a misleading "name: required").</summary>
    /// <param name="path">A JSON path, e.g. <c>objective</c>.</param>
    public bool At(string path) => _problems.Any(p => p.StartsWith(path + ":", StringComparison.Ordinal) || p.StartsWith(path + ".", StringComparison.Ordinal));

    /// <summary>Creates a component, recording its problem instead of throwing; null when it could not be created
    /// or when its spec block already has a problem.</summary>
    /// <typeparam name="T">The component type.</typeparam>
    /// <param name="path">The spec block, e.g. <c>optimizer</c>.</param>
    /// <param name="create">Creates it.</param>
    public T? Create<T>(string path, Func<T> create) where T : class
    {
        if (At(path)) return null;
        try
        {
            return create();
        }
        catch (ComponentOptionsException e)
        {
            Add(e);
        }
        catch (OutOfMemoryException)
        {
            Add($"{path}: creating it ran out of memory; reduce its size (dimension, pixels) or run on a machine with more memory");
        }
        return null;
    }

    /// <summary>Throws one <see cref="BadInputException"/> listing every problem, when there is any.</summary>
    /// <exception cref="BadInputException">Problems were found.</exception>
    public void ThrowIfAny()
    {
        if (_problems.Count == 1) throw new BadInputException($"{specFile}: {_problems[0]}");
        if (_problems.Count > 1)
        {
            throw new BadInputException($"{specFile}: {_problems.Count} problems: {string.Join(" ", _problems.Select((p, i) => $"({i + 1}) {p}"))}");
        }
    }
}
