using Tessera.Cli;

return TesseraApp.Run(args);
