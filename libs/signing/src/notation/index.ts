// Notary Project formats: filled by the notary stream.
export {};
