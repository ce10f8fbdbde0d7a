global using TorchSharp;
global using TorchSharp.Modules;
global using Xunit;
global using static TorchSharp.torch;
