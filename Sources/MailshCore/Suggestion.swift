import Foundation

/// "Did you mean …?": the known word nearest to a mistyped one, the one rule every face (CLI, shell, Lua) uses for
/// misspelled commands, fields and names.
public enum Suggestion {
    /// The candidate nearest to `word`: one that differs only in letter case first, else the one at the smallest
    /// edit distance (insertions, deletions, substitutions and swaps of neighbours) if that distance is at most a
    /// third of the word's length (rounded down, at most 3: words under 3 characters get only case variants).
    /// `nil` when nothing is that near, or `word` is known.
    public static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        let candidates = Array(candidates)
        if candidates.contains(word) { return nil }
        let lower = word.lowercased()
        if let caseVariant = candidates.first(where: { $0.lowercased() == lower }) { return caseVariant }
        let limit = min(3, word.count / 3)
        if limit == 0 { return nil }
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lower, candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// ` (did you mean "X"?)`-style text for a message, or an empty string when there is no suggestion.
    public static func phrase(for word: String, among candidates: some Sequence<String>) -> String {
        guard let near = closest(to: word, among: candidates) else { return "" }
        return "; did you mean \(MailshError.quote(near))?"
    }

    /// The optimal string alignment distance between two words, by characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
