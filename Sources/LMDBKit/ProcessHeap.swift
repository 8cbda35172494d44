import CLMDB

/// The process's heap, after a large piece of work has freed what it held.
public enum ProcessHeap {
    /// Hands the heap's free pages back to the system.
    ///
    /// glibc keeps memory that threads freed in their own arenas for reuse
    /// by the same threads. A check that folded ten million events on
    /// worker threads frees hundreds of megabytes when it ends, and the
    /// rebuild that follows it, on other threads, cannot reuse them: its
    /// own peak would be added on top. This returns every wholly free page
    /// of every arena (the memory in use is not touched). A hint: it
    /// changes nothing a caller can see but the resident size.
    public static func returnFreedPages() {
        _ = malloc_trim(0)
    }
}
