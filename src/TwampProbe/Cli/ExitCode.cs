namespace TwampProbe.Cli;

/// <summary>Process exit codes (documented in README "Exit codes").</summary>
public static class ExitCode
{
    /// <summary>Measured (some or all replies received); the server ran and stopped cleanly.</summary>
    public const int Ok = 0;
    /// <summary>Measured, but no reply came back at all (100 % loss).</summary>
    public const int AllLost = 1;
    /// <summary>Bad command line.</summary>
    public const int Usage = 2;
    /// <summary>Invalid configuration or key file (message names file:line).</summary>
    public const int Config = 3;
    /// <summary>The server refused: no common mode, key identity/secret rejected, resource limits.</summary>
    public const int Refused = 4;
    /// <summary>Network failure: cannot connect, connection lost, timeout, bind failure.</summary>
    public const int Network = 5;
    /// <summary>Unexpected internal error (a bug: please report).</summary>
    public const int Internal = 6;
}
