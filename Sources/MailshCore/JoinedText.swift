extension Collection where Element == String {
    /// The same text as `joined(separator:)`, made by a loop the compiler specializes for the collection: the
    /// standard library's `joined` runs unspecialized and makes a dynamic cast, whose first use in a process scans
    /// every protocol conformance of the program (a one-shot command's start-up; bench/RESULTS.md, Start-up).
    @inlinable
    public func joinedText(separator: String) -> String {
        var text = ""
        var first = true
        for part in self {
            if !first { text += separator }
            first = false
            text += part
        }
        return text
    }
}
