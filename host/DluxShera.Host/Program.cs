using DluxShera.Host.Cli;

return CommandLine.Run(args, Console.Out, Console.Error);
