namespace DluxShera.Contracts;

/// <summary>
/// Options classes may implement this to check values after binding (ranges, combinations).
/// The host reports each returned problem with the JSON path of the options.
/// </summary>
public interface IValidatableOptions
{
    /// <summary>Returns problems as <c>(key, message)</c> pairs; empty when the options are valid.</summary>
    IEnumerable<(string Key, string Message)> Validate();
}
