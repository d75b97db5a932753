/// Reads CSV as RFC 4180 describes it, and as spreadsheets write it: fields in double quotes may hold the
/// separator, line breaks and doubled quotes; lines end in CRLF, LF or CR; a UTF-8 byte order mark is skipped;
/// blank lines are skipped.
public enum CSVReader {
    public struct Record: Equatable, Sendable {
        /// The line the record starts on (1-based).
        public var line: Int
        public var fields: [String]
    }

    public struct Failure: Error, Equatable, Sendable {
        public var line: Int
        public var message: String
    }

    public static func records(_ bytes: [UInt8], separator: UInt8 = UInt8(ascii: ",")) throws -> [Record] {
        let quote = UInt8(ascii: "\""), cr: UInt8 = 13, lf: UInt8 = 10
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var recordLine = 1
        var quoted = false
        var fieldWasQuoted = false

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            // A blank line is one empty, unquoted field: skip it.
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == quote {
                    if index < bytes.count && bytes[index] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == lf || (byte == cr && (index >= bytes.count || bytes[index] != lf)) { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case quote where field.isEmpty && !fieldWasQuoted:
                quoted = true
                fieldWasQuoted = true
            case quote where fieldWasQuoted:
                throw Failure(line: line, message: "a quote after a quoted field's closing quote (double it as \"\" inside quotes)")
            case separator:
                endField()
            case cr, lf:
                if byte == cr && index < bytes.count && bytes[index] == lf { index += 1 }
                if fieldWasQuoted || !fields.isEmpty || !field.isEmpty {
                    endRecord()
                } else {
                    fields.removeAll(keepingCapacity: true)
                }
                line += 1
                recordLine = line
            default:
                if fieldWasQuoted {
                    throw Failure(line: line, message: "text after a quoted field's closing quote")
                }
                field.append(byte)
            }
        }
        if quoted {
            throw Failure(line: recordLine, message: "a quoted field is not closed before the end of the file")
        }
        if fieldWasQuoted || !fields.isEmpty || !field.isEmpty { endRecord() }
        return records
    }
}
