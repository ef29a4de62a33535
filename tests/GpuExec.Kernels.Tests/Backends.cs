namespace GpuExec.Kernels.Tests;

// The kernel tests of Ed25519KernelTests.cs and HashKernelTests.cs, per backend of this project:
// ILGPU's CPU accelerator always, CUDA where a device exists. The OpenCL backend (pocl through a
// test-only shim) runs them in tests/GpuExec.NativeDrivers.Tests, which compiles those files too.

[Collection("ilgpu-cpu")]
public sealed class Ed25519KernelTestsIlgpuCpu(IlgpuCpuFixture f) : Ed25519KernelTests(f);

[Collection("cuda")]
public sealed class Ed25519KernelTestsCuda(CudaFixture f) : Ed25519KernelTests(f);

[Collection("ilgpu-cpu")]
public sealed class HashKernelTestsIlgpuCpu(IlgpuCpuFixture f) : HashKernelTests(f);

[Collection("cuda")]
public sealed class HashKernelTestsCuda(CudaFixture f) : HashKernelTests(f);
