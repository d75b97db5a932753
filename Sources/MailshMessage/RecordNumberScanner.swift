import MailshCore

/// Finds record numbers in a subject: `INC0001234`, `inc1234`, `[INC0001234]`, `Incident 1234`, `Incident #1234`,
/// `Incident: 1234`, `Incident no. 1234`. A number must stand as a word of its own (`SINC12`, `INC12a` are not
/// numbers). The numbers come back canonical (`INC0001234`), distinct, in order.
public enum RecordNumberScanner {
    public static func scan(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        let n = bytes.count
        var found: [String] = []
        var seen: Set<String> = []
        var i = 0
        while i + 3 < n {
            guard bytes[i] | 0x20 == UInt8(ascii: "i"), bytes[i + 1] | 0x20 == UInt8(ascii: "n"),
                  bytes[i + 2] | 0x20 == UInt8(ascii: "c"), i == 0 || !bytes[i - 1].isASCIIAlphanumeric else {
                i += 1
                continue
            }
            var j = i + 3
            if Bytes.hasPrefix(bytes, at: i, incident) {
                j = i + incident.count
                // Optional separators: spaces, "#", ":", "no.", "nr.", "number".
                var k = j
                while k < n, k - j < 16 {
                    if bytes[k].isWSP || bytes[k] == UInt8(ascii: "#") || bytes[k] == UInt8(ascii: ":")
                        || bytes[k] == UInt8(ascii: ".") {
                        k += 1
                    } else if let word = separatorWords.first(where: { Bytes.hasPrefix(bytes, at: k, $0) }) {
                        k += word.count
                    } else {
                        break
                    }
                }
                guard k > j else { // "Incident1234" is not a form people write
                    i = j
                    continue
                }
                j = k
            }
            let digitsStart = j
            var value = 0
            while j < n, bytes[j].isASCIIDigit, j - digitsStart < 12 {
                value = value * 10 + Int(bytes[j] - 0x30)
                j += 1
            }
            let digits = j - digitsStart
            let boundary = j >= n || !bytes[j].isASCIIAlphanumeric
            if digits > 0, boundary, value > 0 {
                let number = RecordNumber.format(value)
                if seen.insert(number).inserted { found.append(number) }
            }
            i = max(j, i + 3)
        }
        return found
    }

    private static let incident = Array("incident".utf8)
    private static let separatorWords = ["number", "nr", "no"].map { Array($0.utf8) }
}
