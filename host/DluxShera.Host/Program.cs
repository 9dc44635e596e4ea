using DluxShera.Host.Cli;

// An exception on a thread other than the command's (a plugin's worker thread) cannot be caught by the
// command; report it like any internal error (one line, crash log, exit 70) instead of a runtime stack trace.
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    var error = e.ExceptionObject as Exception ?? new InvalidOperationException($"non-exception object thrown: {e.ExceptionObject}");
    Environment.Exit(CommandLine.Report(error, args, Console.Error));
};
return CommandLine.Run(args, Console.Out, Console.Error);
