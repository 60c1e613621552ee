using Xunit;

namespace TwampProbe.Fuzz.Tests;

/// <summary>
/// Every file of tests/fuzz-corpus/TARGET (the seeds and, under regressions/, every input a fuzz run
/// once found) goes through the same target function as under afl-fuzz. The targets catch only the
/// exceptions their APIs document for bad input, so any exception here is a regression; an input that
/// does not finish within the deadline is a hang.
/// </summary>
public sealed class CorpusReplayTests
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public CorpusReplayTests() => FuzzTargets.Quiet();

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    static string[] CorpusFiles(string target)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", target);
        return Directory.Exists(dir) ? [.. Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)] : [];
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryTargetHasSeeds(string target) =>
        Assert.Contains(CorpusFiles(target), f => f.Contains($"{Path.DirectorySeparatorChar}seeds{Path.DirectorySeparatorChar}"));

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task EveryCorpusFileEndsWithoutAnUndocumentedException(string target)
    {
        var fuzz = FuzzTargets.Find(target)!;
        foreach (var file in CorpusFiles(target))
        {
            var input = File.ReadAllBytes(file);
            string name = Path.GetRelativePath(AppContext.BaseDirectory, file);
            try
            {
                await Task.Run(() => fuzz.Run(input)).WaitAsync(Deadline);
            }
            catch (TimeoutException e)
            {
                // From WaitAsync, or the target's own deadline (a control connection or a packet that never ends).
                Assert.Fail($"{name}: the {target} target hangs: {e.Message}");
            }
            catch (Exception e)
            {
                Assert.Fail($"{name}: {e}");
            }
        }
    }
}
