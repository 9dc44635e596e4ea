namespace DluxShera.Contracts;

/// <summary>
/// One packed segment of θ: the slice <c>[Start, Stop)</c> holds the leaf <see cref="Name"/> of
/// shape <see cref="Shape"/> (C order).
/// </summary>
/// <param name="Name">Dotted leaf name, e.g. <c>binary.x_position_as</c>.</param>
/// <param name="Start">First θ index of the segment.</param>
/// <param name="Stop">One past the last θ index (exclusive).</param>
/// <param name="Shape">The leaf's original shape, e.g. <c>[27]</c>; its product is <c>Stop − Start</c>.</param>
/// <param name="Block">Optional conceptual group, e.g. <c>astrometry</c>.</param>
/// <param name="Label">Optional human-readable label with unit, e.g. <c>x position (as)</c>.</param>
public sealed record IndexMapEntry(string Name, int Start, int Stop, int[] Shape, string? Block = null, string? Label = null)
{
    /// <summary>Number of θ entries in the segment.</summary>
    public int Length => Stop - Start;

    /// <summary>
    /// The parameter's lower bound (every element), or null when unbounded below. The <c>unconstrained</c> θ map
    /// picks its bijector from the bounds: lower only → log (θ = lower + eᶻ), both → logit, none → identity.
    /// Added in contract 1.2; not part of the layout hash.
    /// </summary>
    public double? LowerBound { get; init; }

    /// <summary>The parameter's upper bound (every element), or null when unbounded above. Added in contract 1.2.</summary>
    public double? UpperBound { get; init; }

    /// <inheritdoc/>
    public bool Equals(IndexMapEntry? other) =>
        other is not null && Name == other.Name && Start == other.Start && Stop == other.Stop &&
        Shape.AsSpan().SequenceEqual(other.Shape) && Block == other.Block && Label == other.Label &&
        LowerBound == other.LowerBound && UpperBound == other.UpperBound;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Start, Stop, Shape.Length, Block, Label);
}
