using System.Reflection;
using Tessera.Training;
using Xunit.Sdk;

[assembly: Tessera.Tests.Support.TorchSafePoint]

namespace Tessera.Tests.Support;

/// <summary>Every test starts at a <see cref="TorchGc"/> safe point: garbage earlier tests left is collected and
/// finalized before this test's torch work, not beside it (TorchSharp's finalizers call into libtorch).</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class TorchSafePointAttribute : BeforeAfterTestAttribute
{
    public override void Before(MethodInfo methodUnderTest) => TorchGc.SafePoint();
}
