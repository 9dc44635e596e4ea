using DluxShera.Shera;
using Xunit;

namespace DluxShera.Tests;

public class FisherOrderingTests
{
    // SHERA_MODEL §4: plate scale > log-flux > x, y, contrast > separation > PA > M1 Zernikes > M2 Zernikes
    // (testbed, noiseless, log-flux 11.3). Here contrast's diagonal (per unit contrast) falls between PA and the
    // M1 Zernikes; the rest of the order holds ("roughly", as the card says).
    [Fact]
    public void Fisher_diagonal_is_ordered_as_the_seed_notebook_found()
    {
        var o = SheraTestModels.Preset("testbed-3p-test", options: x =>
        {
            x.Data.Noise = "none";
            x.Nominal["binary.log_flux_total"] = 11.3;
        });
        var objective = new SheraObjective(o);
        int d = objective.IndexMap.Dimension, n = objective.ResidualCount;
        var theta = new double[d];
        objective.GetInitialTheta(theta);
        var fisher = new double[d];
        var jv = new double[n];
        for (int k = 0; k < d; k++)
        {
            var e = new double[d];
            e[k] = 1;
            objective.JacobianVectorProduct(theta, e, jv);
            fisher[k] = jv.Sum(x => x * x);
        }
        double Get(string name) => fisher[objective.IndexMap.Find(name)!.Start];
        double Mean(string name) { var e = objective.IndexMap.Find(name)!; return fisher[e.Start..e.Stop].Average(); }
        double plate = Get("system.plate_scale_as_per_pix"), flux = Get("binary.log_flux_total");
        double x = Get("binary.x_position_as"), y = Get("binary.y_position_as"), sep = Get("binary.separation_as");
        double pa = Get("binary.position_angle_deg"), contrast = Get("binary.contrast");
        double m1 = Mean("primary.zernike_coeffs_nm"), m2 = Mean("secondary.zernike_coeffs_nm");
        Assert.True(plate > flux && flux > Math.Max(x, y) && Math.Min(x, y) > sep && sep > pa && pa > m1 && m1 > m2,
            $"plate {plate:E2} flux {flux:E2} x {x:E2} y {y:E2} sep {sep:E2} pa {pa:E2} contrast {contrast:E2} M1 {m1:E2} M2 {m2:E2}");
        Assert.True(contrast > m1, $"contrast {contrast:E2} vs M1 {m1:E2}");
    }
}
