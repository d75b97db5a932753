/// Splits a shell line into words: blanks separate, single and double quotes group, backslash escapes,
/// `#` at the start of a word begins a comment.
struct Tokenizer {
    /// A word and where it started in the line (in characters).
    struct Word: Equatable {
        var text: String
        var start: Int
    }

    struct Result: Equatable {
        var words: [Word]
        /// The quote still open at the end of the line, if any.
        var openQuote: Character?
        /// Whether the line ended inside a word (no blank after the last word).
        var endsInWord: Bool
    }

    enum Problem: Error, Equatable, CustomStringConvertible {
        case unterminatedQuote(Character)
        var description: String {
            switch self {
            case .unterminatedQuote(let quote): return "unterminated \(quote) quote"
            }
        }
    }

    static func split(_ line: String) -> Result {
        plainSplit(line) ?? splitByCharacter(line)
    }

    /// ``split(_:)`` of a line of plain ASCII words and blanks (no quote, backslash, `#`, line break, control or
    /// non-ASCII byte), read byte by byte: there each byte is a character and a blank only separates; `nil` for
    /// any other line, which ``splitByCharacter(_:)`` reads.
    static func plainSplit(_ line: String) -> Result? {
        var words: [Word] = []
        var start: Int?
        var index = 0
        var plain = true
        let bytes = line.utf8
        var wordStart = bytes.startIndex
        for position in bytes.indices {
            let byte = bytes[position]
            if byte == 0x20 || byte == 0x09 {
                if let begun = start {
                    words.append(Word(text: String(line[wordStart..<position]), start: begun))
                    start = nil
                }
            } else if byte > 0x20, byte < 0x7F, byte != 0x22, byte != 0x23, byte != 0x27, byte != 0x5C {
                if start == nil {
                    start = index
                    wordStart = position
                }
            } else {
                plain = false
                break
            }
            index += 1
        }
        guard plain else { return nil }
        let endsInWord = start != nil
        if let begun = start { words.append(Word(text: String(line[wordStart...]), start: begun)) }
        return Result(words: words, openQuote: nil, endsInWord: endsInWord)
    }

    /// ``split(_:)`` of any line, character by character.
    static func splitByCharacter(_ line: String) -> Result {
        var words: [Word] = []
        var current = ""
        var start: Int?
        var quote: Character?
        var escaped = false
        for (index, character) in line.enumerated() {
            if escaped {
                // Inside double quotes a backslash escapes only `"` and `\`, as in sh; elsewhere any character.
                if quote == "\"" && character != "\"" && character != "\\" { current.append("\\") }
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case " ", "\t", "\n", "\r":
                if let begun = start {
                    words.append(Word(text: current, start: begun))
                    current = ""
                    start = nil
                }
            case "#" where start == nil:
                return Result(words: words, openQuote: nil, endsInWord: false)
            case "'", "\"":
                if start == nil { start = index }
                quote = character
            case "\\":
                if start == nil { start = index }
                escaped = true
            default:
                if start == nil { start = index }
                current.append(character)
            }
        }
        // A lone backslash at the end of the line stands for itself.
        if escaped { current.append("\\") }
        let endsInWord = start != nil
        if let begun = start { words.append(Word(text: current, start: begun)) }
        return Result(words: words, openQuote: quote, endsInWord: endsInWord)
    }

    /// The words of a complete line, refusing an unterminated quote.
    static func words(_ line: String) throws(Problem) -> [String] {
        let result = split(line)
        if let quote = result.openQuote { throw .unterminatedQuote(quote) }
        return result.words.map(\.text)
    }
}
