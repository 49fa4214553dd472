// Placeholder so the target builds; replaced by the subsystem's code.
