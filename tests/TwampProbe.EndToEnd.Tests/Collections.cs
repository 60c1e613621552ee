using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("TwampProbe.EndToEnd.Tests.ImageFirst", "TwampProbe.EndToEnd.Tests")]

namespace TwampProbe.EndToEnd.Tests;

/// <summary>
/// How the end-to-end classes share the machine. Every class is a test collection of its own, and the
/// collections run in parallel (xunit.runner.json: up to 4 tests at once; most of them wait on sockets,
/// timers and child processes), except these:
/// <list type="bullet">
/// <item><see cref="Image"/>: <c>make image</c>, qemu-user and the qemu-system boots, one after another
/// (CPU-heavy; they share one <see cref="RaspberryPiImage"/>). Started first, as it takes the longest.</item>
/// <item><see cref="Alone"/>: tests whose pass mark depends on getting the CPUs when they need them
/// (10 000 packets/s with at most 1 % loss) or that measure the server's resident memory and wake-ups
/// under floods of their own: run after all the parallel ones, one class at a time, with nothing else.</item>
/// </list>
/// What parallel classes must not share, each has to itself: network namespaces and veth names
/// (<see cref="Topology"/>, <see cref="LinkPair"/>: one set per instance), test-port ranges
/// (<see cref="Binary.PortRange"/>: unique per run, under the ephemeral ports) and UDP 862/861 (every
/// <c>serve</c> binds UDP 862 on its listen address at start-up: the tests that ask for 862 or 861
/// listen on a 127.0.0.x address of their own; all the others on 127.0.0.1).
/// </summary>
public static class Collections
{
    public const string Image = "image";
    public const string Alone = "alone";
}

[CollectionDefinition(Collections.Image)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImageCollection : ICollectionFixture<RaspberryPiImage>;

[CollectionDefinition(Collections.Alone, DisableParallelization = true)]
public sealed class AloneCollection;

/// <summary>
/// The <see cref="Collections.Image"/> collection first, the rest in xunit's own order: with the longest
/// collection started first, the others run beside it instead of after it.
/// </summary>
public sealed class ImageFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.DisplayName == Collections.Image ? 0 : 1);
}
