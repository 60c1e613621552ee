using SharpFuzz;
using TwampProbe.Fuzz;

// twampprobe-fuzz run TARGET          — under afl-fuzz (scripts/fuzz.sh), input on stdin
// twampprobe-fuzz replay TARGET PATH… — every file (or every file under a folder) once, in process
// twampprobe-fuzz seed CAPTURES ROOT  — writes the seed corpus (see CorpusSeeds)
// twampprobe-fuzz list                — the targets
// Under afl-fuzz no instrumented code may run before Fuzzer.Run has mapped the coverage memory:
// the instrumented assemblies are first touched inside the action.
if (args is ["run", var name] && FuzzTargets.Find(name) is { } target)
{
    Fuzzer.Run(stream =>
    {
        FuzzTargets.Quiet();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Run(copy.ToArray());
    });
    return 0;
}
if (args is ["list"])
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name}\t{t.What}");
    return 0;
}
FuzzTargets.Quiet();
if (args is ["seed", var captures, var root])
{
    CorpusSeeds.Write(captures, root);
    return 0;
}
if (args is ["replay", var replayName, .. var paths] && FuzzTargets.Find(replayName) is { } replayTarget)
{
    int n = 0;
    foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]))
    {
        replayTarget.Run(File.ReadAllBytes(file));
        n++;
    }
    Console.WriteLine($"{replayName}: {n} inputs replayed");
    return 0;
}
Console.Error.WriteLine("usage: twampprobe-fuzz run TARGET | replay TARGET PATH... | seed CAPTURES_DIR CORPUS_DIR | list");
Console.Error.WriteLine("targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
return 2;
