import CHeraldCrypto

extension SHA256 {
    /// Initialises libcrypto for the process without its exit-time cleanup; call it first,
    /// before anything else uses libcrypto (libcurl included).
    ///
    /// Why: OpenSSL 3 frees its global state (the fetched SHA-256 among it) from an `atexit`
    /// handler, while threads of the process may still be letting go of objects that hold
    /// libcrypto state (a hasher's context, a finished command's resources on a pool thread).
    /// A run of `herald preview` in CI aborted at exit with "double free or corruption" that
    /// way. The process is ending: the kernel takes the memory back, so the cleanup buys nothing.
    public static func prepareProcess() {
        _ = herald_crypto_init_without_atexit()
    }
}
