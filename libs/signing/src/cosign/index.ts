// cosign formats: filled by the cosign stream.
export {};
