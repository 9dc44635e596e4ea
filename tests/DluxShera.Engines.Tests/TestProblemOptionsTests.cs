using DluxShera.TestProblems;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Options of the analytic problems refuse sizes the factory could not allocate (before anything is built).</summary>
public class TestProblemOptionsTests
{
    [Fact]
    public void A_design_matrix_larger_than_one_array_is_refused_naming_observations()
    {
        var problems = new NoisyLinearOptions { Dimension = 100_000, Observations = 100_000 }.Validate().ToList();
        var (key, message) = Assert.Single(problems);
        Assert.Equal("observations", key);
        Assert.Contains("10,000,000,000 values", message);
    }

    [Fact]
    public void Ordinary_sizes_pass()
    {
        Assert.Empty(new NoisyLinearOptions { Dimension = 50, Observations = 400 }.Validate());
    }
}
