using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Run ids against their stated rule (<see cref="RunIds.Rule"/>) and the liveness files against their documented meaning.</summary>
public class RunIdsAndLivenessTests
{
    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("a b", "it contains the character U+0020")]
    [InlineData("tab\there", "it contains the character U+0009")]
    [InlineData("a/b", "it contains '/'")]
    [InlineData("naïve", "it contains 'ï'")]
    [InlineData(".hidden", "it starts with '.'")]
    [InlineData("-x", "it starts with '-'")]
    [InlineData("_x", "it starts with '_'")]
    public void Run_ids_outside_the_rule_are_refused_saying_why(string id, string why)
    {
        Assert.Equal(why, RunIds.Problem(id));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("Run_1.2-b")]
    [InlineData("z.._--")]
    public void Run_ids_inside_the_rule_are_accepted(string id)
    {
        Assert.Null(RunIds.Problem(id));
    }

    [Fact]
    public void Run_ids_may_have_200_characters_but_not_201()
    {
        Assert.Null(RunIds.Problem(new string('a', 200)));
        Assert.Equal("it is longer than 200 characters", RunIds.Problem(new string('a', 201)));
    }

    [Fact]
    public void Timestamps_are_iso_8601_utc_with_microseconds_and_a_numeric_offset()
    {
        // Python's datetime.fromisoformat reads this form on 3.7+: six fractional digits, "+00:00" rather than "Z".
        var t = new DateTimeOffset(2026, 11, 27, 14, 45, 1, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        Assert.Equal("2026-11-27T12:45:01.123456+00:00", RunIds.Timestamp(t));
        Assert.Matches("^20261127T124501Z-[0-9a-f]{6}$", RunIds.Generate(t));
        Assert.NotEqual(RunIds.Generate(t), RunIds.Generate(t));   // 24 random bits: a repeat has odds 1 in 16 million
    }

    [Fact]
    public void A_held_run_is_live_a_released_one_has_no_liveness_files_and_an_abandoned_one_has_ended()
    {
        using var tmp = RepoPaths.Temp();
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(tmp.Path));
        var held = RunLiveness.Hold(tmp.Path);
        Assert.Equal(RunProcessState.Live, RunLiveness.Probe(tmp.Path));
        var heartbeat = JsonNode.Parse(File.ReadAllText(tmp.Combine(RunLiveness.HeartbeatFile)))!;
        Assert.Equal(Environment.MachineName, heartbeat["host"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessId, heartbeat["pid"]!.GetValue<int>());
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(heartbeat["started_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5));
        held.Dispose();
        held.Dispose();
        Assert.False(File.Exists(tmp.Combine(RunLiveness.LockFile)));
        Assert.False(File.Exists(tmp.Combine(RunLiveness.HeartbeatFile)));
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(tmp.Path));

        // A process that died leaves both files and holds nothing: ended, whatever the heartbeat's age on this host.
        File.WriteAllText(tmp.Combine(RunLiveness.LockFile), "");
        File.WriteAllText(tmp.Combine(RunLiveness.HeartbeatFile), new JsonObject { ["host"] = Environment.MachineName, ["pid"] = 1 }.ToJsonString());
        Assert.Equal(RunProcessState.Ended, RunLiveness.Probe(tmp.Path));
        File.Delete(tmp.Combine(RunLiveness.LockFile));
        Assert.Equal(RunProcessState.Ended, RunLiveness.Probe(tmp.Path));   // a heartbeat alone, from this host
    }

    [Fact]
    public void A_fresh_heartbeat_from_another_host_counts_as_live_and_a_stale_one_as_ended()
    {
        // Another node's lock may be invisible here (Lustre without -o flock): its heartbeat, refreshed every 10 s,
        // is trusted for 60 s.
        using var tmp = RepoPaths.Temp();
        string heartbeat = tmp.Combine(RunLiveness.HeartbeatFile);
        File.WriteAllText(tmp.Combine(RunLiveness.LockFile), "");
        File.WriteAllText(heartbeat, new JsonObject { ["host"] = "node-17", ["pid"] = 4242 }.ToJsonString());
        File.SetLastWriteTimeUtc(heartbeat, DateTime.UtcNow.AddSeconds(-50));
        Assert.Equal(RunProcessState.Live, RunLiveness.Probe(tmp.Path));
        File.SetLastWriteTimeUtc(heartbeat, DateTime.UtcNow.AddSeconds(-70));
        Assert.Equal(RunProcessState.Ended, RunLiveness.Probe(tmp.Path));
        File.WriteAllText(heartbeat, "not json");
        Assert.Equal(RunProcessState.Ended, RunLiveness.Probe(tmp.Path));
        File.WriteAllText(heartbeat, "{\"pid\": 1}");
        Assert.Equal(RunProcessState.Ended, RunLiveness.Probe(tmp.Path));
        Assert.Equal(TimeSpan.FromSeconds(10), RunLiveness.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(60), RunLiveness.HeartbeatTimeout);
    }

    [Fact]
    public void The_lock_moves_with_a_renamed_directory_and_is_released_there()
    {
        using var tmp = RepoPaths.Temp();
        string staging = Directory.CreateDirectory(tmp.Combine(".r.creating")).FullName, final = tmp.Combine("r");
        var held = RunLiveness.Hold(staging);
        Directory.Move(staging, final);
        held.MovedTo(final);
        Assert.Equal(RunProcessState.Live, RunLiveness.Probe(final));
        held.Dispose();
        Assert.Empty(Directory.GetFileSystemEntries(final));
        Assert.Equal(RunProcessState.None, RunLiveness.Probe(final));
    }
    [Fact]
    public void The_heartbeat_names_host_and_pid_with_a_round_trip_utc_start_time_on_one_line()
    {
        using var tmp = RepoPaths.Temp();
        var before = DateTimeOffset.UtcNow;
        using var held = RunLiveness.Hold(tmp.Path);
        string text = File.ReadAllText(tmp.Combine(RunLiveness.HeartbeatFile));
        Assert.EndsWith("}\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // "o" (round trip): 2026-11-29T14:39:01.1234567+00:00, which Python's datetime.fromisoformat also reads (3.11+).
        string started = JsonNode.Parse(text)!["started_at"]!.GetValue<string>();
        var t = DateTimeOffset.ParseExact(started, "o", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.Zero, t.Offset);
        Assert.InRange(t, before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Disposing_a_released_run_again_leaves_a_later_holders_files_alone()
    {
        // One RunLiveness per run: after it is released the directory may be held again (an --overwrite rerun in place,
        // or experiment retry); a second Dispose of the old one must not delete the new holder's lock and heartbeat.
        using var tmp = RepoPaths.Temp();
        var first = RunLiveness.Hold(tmp.Path);
        first.Dispose();
        using var second = RunLiveness.Hold(tmp.Path);
        first.Dispose();
        Assert.True(File.Exists(tmp.Combine(RunLiveness.LockFile)));
        Assert.True(File.Exists(tmp.Combine(RunLiveness.HeartbeatFile)));
        Assert.Equal(RunProcessState.Live, RunLiveness.Probe(tmp.Path));
    }

    [Fact]
    public void Holding_waits_out_a_probers_momentary_shared_lock_and_gives_up_on_a_lock_that_stays_held()
    {
        using var tmp = RepoPaths.Temp();
        string lockPath = tmp.Combine(RunLiveness.LockFile);
        // A prober's shared open (flock LOCK_SH, as Probe takes it), released 100 ms later: Hold retries for about a
        // second (50 × 20 ms), so it gets the lock.
        var probe = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        var release = new Thread(() =>
        {
            Thread.Sleep(100);
            probe.Dispose();
        });
        release.Start();
        using (var held = RunLiveness.Hold(tmp.Path))
        {
            Assert.Equal(RunProcessState.Live, RunLiveness.Probe(tmp.Path));
        }
        release.Join();

        // Another writer's exclusive lock that is never released: Hold stops retrying and says so.
        using var other = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        Assert.ThrowsAny<IOException>(() => RunLiveness.Hold(tmp.Path));
    }
}
