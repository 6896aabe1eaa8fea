{
  "targets": [
    {
      "target_name": "ponder_native",
      "sources": [
        "native/addon.c",
        "native/gemm.c",
        "native/attention.c",
        "native/attention_tiled.c",
        "native/elementwise.c",
        "native/norm.c",
        "native/loss.c",
        "native/optim.c",
        "native/threads.c",
        "native/threads_addon.c",
        "native/quant.c",
        "native/quant_blocks.c",
        "native/quant_portable.c",
        "native/quant_avx2.c",
        "native/quant_gemm_avx2.c",
        "native/quant_attn.c",
        "native/quant_addon.c",
        "native/quant_gemm.c",
        "native/mmap.c",
        "native/triad.c"
      ],
      "cflags": ["-O3", "-march=<!(node -p \"process.env.PONDER_MARCH || 'native'\")", "-mprefer-vector-width=512", "-fno-math-errno", "-fopenmp", "-std=gnu11", "-Wall", "-Wno-unused-function"],
      "cflags!": ["-O2", "-O0"],
      "ldflags": ["-fopenmp"]
    }
  ]
}
