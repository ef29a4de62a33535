using System.Diagnostics.CodeAnalysis;

// RS0026 keeps later versions from adding optional parameters to overloaded members, which can make
// calls ambiguous. These overloads were declared together in the first public surface and differ in a
// required parameter's type, so no call is ambiguous; the rule still guards every other member.
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "first surface; overloads differ in a required parameter",
    Scope = "member", Target = "~M:GpuExec.Engine.BlockPipeline.#ctor(GpuExec.Engine.GpuExecOptions,Microsoft.Extensions.Logging.ILogger{GpuExec.Engine.BlockPipeline})")]
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "first surface; overloads differ in a required parameter",
    Scope = "member", Target = "~M:GpuExec.Engine.BlockPipeline.#ctor(GpuExec.Engine.GpuExecOptions,GpuExec.Engine.Devices.ComputeDevice,Microsoft.Extensions.Logging.ILogger{GpuExec.Engine.BlockPipeline})")]
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "first surface; overloads differ in a required parameter",
    Scope = "member", Target = "~M:GpuExec.Engine.BlockPipeline.PreVerify(System.Collections.Generic.IReadOnlyList{System.ReadOnlyMemory{System.Byte}},System.Nullable{System.UInt32})~GpuExec.Engine.Verify.PreVerifyResult")]
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "first surface; overloads differ in a required parameter",
    Scope = "member", Target = "~M:GpuExec.Engine.BlockPipeline.PreVerify(GpuExec.Wire.Block,System.Nullable{System.UInt32})~GpuExec.Engine.Verify.PreVerifyResult")]
