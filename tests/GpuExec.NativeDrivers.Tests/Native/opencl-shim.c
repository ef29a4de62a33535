/*
 * Test-only OpenCL loader shim: lets ILGPU's OpenCL backend run on Debian's pocl (an OpenCL
 * implementation on the CPU), so that compiled kernel code is executed on machines without a GPU.
 * Never shipped: it lives under tests/ and the tests build it with gcc.
 *
 * Loaded in place of libOpenCL.so, it forwards every call to the real ICD loader (libOpenCL.so.1,
 * which it is linked against, so every function it does not define resolves there) and changes
 * three things, for pocl's devices only (CL_DEVICE_VERSION names PoCL):
 *   1. clGetDeviceInfo(CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT) answers CL_TRUE: ILGPU refuses an
 *      OpenCL 3.0 device without the generic address space, which pocl 3.1 does not offer.
 *   2. clGetDeviceInfo(CL_DEVICE_TYPE) answers CL_DEVICE_TYPE_GPU instead of CPU (the engine's
 *      `opencl` device takes GPUs only), unless gpuexec_shim_set_report_gpu(0) or the environment
 *      variable GPUEXEC_CL_SHIM_REPORT_GPU=0 asks for the real type.
 *   3. clCreateProgramWithSource, for a context of a pocl device, prepends
 *      `#define __generic __global`: pocl's compiler refuses the `__generic` qualifier ILGPU writes.
 *      That is sound only for a kernel whose generic pointers all point to global memory; the tests
 *      check each kernel's OpenCL C for it and cover only those. A program that names local memory
 *      is passed on unchanged, so pocl refuses it with its own error; one that calls a work-group
 *      collective function (pocl 3.1 has none) is mapped, and pocl refuses the call.
 * GPUEXEC_CL_SHIM_DUMP=DIR writes each program's source as received to DIR/program-N.cl.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t cl_int;
typedef uint32_t cl_uint;
typedef uint64_t cl_ulong;
typedef cl_uint cl_bool;
typedef cl_uint cl_device_info;
typedef cl_uint cl_context_info;
typedef cl_ulong cl_device_type;
typedef struct _cl_device_id *cl_device_id;
typedef struct _cl_context *cl_context;
typedef struct _cl_program *cl_program;

#define CL_SUCCESS 0
#define CL_OUT_OF_HOST_MEMORY (-6)
#define CL_INVALID_VALUE (-30)
#define CL_DEVICE_TYPE 0x1000
#define CL_DEVICE_VERSION 0x102F
#define CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT 0x1069
#define CL_CONTEXT_DEVICES 0x1081
#define CL_DEVICE_TYPE_CPU (1 << 1)
#define CL_DEVICE_TYPE_GPU (1 << 2)

static const char Prelude[] = "#define __generic __global\n";

static int report_gpu = -1; /* -1: not yet read from the environment */
static unsigned rewritten;

/* For tests in the same process: 1 reports pocl's CPU device as a GPU, 0 its real type. */
void gpuexec_shim_set_report_gpu(int on) { report_gpu = on ? 1 : 0; }

/* How many programs the shim rewrote: the tests check the kernels really went through it. */
unsigned gpuexec_shim_rewritten_programs(void) { return __atomic_load_n(&rewritten, __ATOMIC_RELAXED); }

static void *real(const char *name)
{
    static void *lib;
    if (!lib)
        lib = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
    void *f = lib ? dlsym(lib, name) : NULL;
    if (!f) {
        fprintf(stderr, "opencl-shim: %s not found in libOpenCL.so.1\n", name);
        abort();
    }
    return f;
}

typedef cl_int (*device_info_fn)(cl_device_id, cl_device_info, size_t, void *, size_t *);

static device_info_fn real_device_info(void)
{
    static device_info_fn f;
    if (!f)
        f = (device_info_fn)real("clGetDeviceInfo");
    return f;
}

static int is_pocl(cl_device_id device)
{
    char version[256] = { 0 };
    if (real_device_info()(device, CL_DEVICE_VERSION, sizeof version - 1, version, NULL) != CL_SUCCESS)
        return 0;
    return strstr(version, "PoCL") != NULL || strstr(version, "pocl") != NULL;
}

cl_int clGetDeviceInfo(cl_device_id device, cl_device_info param, size_t size, void *value, size_t *size_ret)
{
    if (param == CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT && is_pocl(device)) {
        if (size_ret)
            *size_ret = sizeof(cl_bool);
        if (value) {
            if (size < sizeof(cl_bool))
                return CL_INVALID_VALUE;
            *(cl_bool *)value = 1;
        }
        return CL_SUCCESS;
    }
    cl_int err = real_device_info()(device, param, size, value, size_ret);
    if (param == CL_DEVICE_TYPE && err == CL_SUCCESS && value && size >= sizeof(cl_device_type) && is_pocl(device)) {
        if (report_gpu < 0) {
            const char *e = getenv("GPUEXEC_CL_SHIM_REPORT_GPU");
            report_gpu = !(e && strcmp(e, "0") == 0);
        }
        cl_device_type *t = value;
        if (report_gpu && (*t & CL_DEVICE_TYPE_CPU))
            *t = (*t & ~(cl_device_type)CL_DEVICE_TYPE_CPU) | CL_DEVICE_TYPE_GPU;
    }
    return err;
}

static int pocl_context(cl_context context)
{
    typedef cl_int (*fn)(cl_context, cl_context_info, size_t, void *, size_t *);
    static fn info;
    if (!info)
        info = (fn)real("clGetContextInfo");
    cl_device_id devices[16];
    size_t bytes = 0;
    if (info(context, CL_CONTEXT_DEVICES, sizeof devices, devices, &bytes) != CL_SUCCESS || bytes < sizeof(cl_device_id))
        return 0;
    for (size_t i = 0; i < bytes / sizeof(cl_device_id); i++)
        if (!is_pocl(devices[i]))
            return 0;
    return 1;
}

static void dump(const char *text, size_t length)
{
    static unsigned n;
    const char *dir = getenv("GPUEXEC_CL_SHIM_DUMP");
    if (!dir || !*dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/program-%u.cl", dir, __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED));
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(text, 1, length, f);
        fclose(f);
    }
}

static int ident(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/* Whether the source names local memory (whole words): a generic pointer may point there. */
static int unsupported(const char *s, size_t n)
{
    static const char *words[] = { "__local", "local", NULL };
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && ident(s[i - 1]))
            continue;
        for (const char **w = words; *w; w++) {
            size_t k = strlen(*w);
            if (i + k <= n && memcmp(s + i, *w, k) == 0 && (i + k == n || !ident(s[i + k])))
                return 1;
        }
    }
    return 0;
}

cl_program clCreateProgramWithSource(cl_context context, cl_uint count, const char **strings, const size_t *lengths, cl_int *errcode_ret)
{
    typedef cl_program (*fn)(cl_context, cl_uint, const char **, const size_t *, cl_int *);
    static fn next;
    if (!next)
        next = (fn)real("clCreateProgramWithSource");
    if (!strings || !pocl_context(context))
        return next(context, count, strings, lengths, errcode_ret);
    size_t head = sizeof Prelude - 1, total = head;
    for (cl_uint i = 0; i < count; i++)
        total += lengths && lengths[i] ? lengths[i] : strlen(strings[i]);
    char *text = malloc(total + 1);
    if (!text) {
        if (errcode_ret)
            *errcode_ret = CL_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    memcpy(text, Prelude, head);
    size_t at = head;
    for (cl_uint i = 0; i < count; i++) {
        size_t n = lengths && lengths[i] ? lengths[i] : strlen(strings[i]);
        memcpy(text + at, strings[i], n);
        at += n;
    }
    text[at] = 0;
    dump(text + head, at - head);
    cl_program p;
    if (unsupported(text + head, at - head)) {
        p = next(context, count, strings, lengths, errcode_ret);
    } else {
        const char *one[1] = { text };
        size_t len[1] = { at };
        p = next(context, 1, one, len, errcode_ret);
        __atomic_add_fetch(&rewritten, 1, __ATOMIC_RELAXED);
    }
    free(text);
    return p;
}
