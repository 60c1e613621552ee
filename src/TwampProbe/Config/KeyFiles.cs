using TwampProbe.Protocol.Keys;

namespace TwampProbe.Config;

/// <summary>Reads pfs key files from disk, refusing ones others can read.</summary>
public static class KeyFiles
{
    public static KeyFile Load(string path, bool requirePrivate)
    {
        if (Directory.Exists(path)) throw new ConfigException($"{path}: is a directory, not a key file");
        if (!File.Exists(path)) throw new ConfigException($"{path}: key file not found");
        if (requirePrivate && !OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
                throw new ConfigException($"{path}: key file is readable by group/other (mode {Convert.ToString((int)mode, 8)}): run 'chmod 600 {path}'");
        }
        try { return KeyFile.Parse(File.ReadAllText(path), path); }
        catch (KeyFileException e) { throw new ConfigException(e.Message); }
        catch (IOException e) { throw new ConfigException($"{path}: cannot read: {Cli.ErrorText.Describe(e, path)}"); }
        catch (UnauthorizedAccessException e) { throw new ConfigException($"{path}: cannot read: {Cli.ErrorText.Describe(e, path)}"); }
    }
}
