"""The derivative engines: lowering to torch, the symbolic program, the autograd paths, sweeps."""
