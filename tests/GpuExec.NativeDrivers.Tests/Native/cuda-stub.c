/*
 * Test-only stand-in for the CUDA driver, built as libcuda.so.1 alone (no libcuda.so beside it), as
 * on a machine with the driver but without its development symlink. It has no GPU: cuInit returns
 * GPUEXEC_CUDA_STUB_INIT (default 100, CUDA_ERROR_NO_DEVICE), and with 0 the device count is 0, so
 * a test sees that the driver was found and what it said.
 */
#include <stdlib.h>

static int init_result(void)
{
    const char *e = getenv("GPUEXEC_CUDA_STUB_INIT");
    return e ? atoi(e) : 100;
}

int cuInit(unsigned flags) { (void)flags; return init_result(); }

int cuDriverGetVersion(int *version) { *version = 12040; return 0; }

int cuDeviceGetCount(int *count) { *count = 0; return init_result(); }

int cuGetErrorName(int error, const char **name)
{
    switch (error) {
    case 0: *name = "CUDA_SUCCESS"; return 0;
    case 100: *name = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 999: *name = "CUDA_ERROR_UNKNOWN"; return 0;
    default: *name = 0; return 1;
    }
}
