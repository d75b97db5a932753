/// Rules for values that arrive typed (a script's integer), by the rules for their text in `Validation.swift`.
extension Validate {
    /// ``port(_:field:)`` of a whole number, without making its text first: the number's decimal digits are read by
    /// ``plainPort(_:)``, and any number that does not pass it goes through ``port(_:field:)`` as its text, for the
    /// same acceptance and the same refusal.
    public static func port(_ value: Int, field: String) throws -> Int {
        if value > 0 && value < 100_000 {
            // At most five digits, written on the stack.
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
            let count = value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10_000 ? 4 : 5
            let port = withUnsafeMutableBytes(of: &digits) { buffer -> Int? in
                var rest = value
                for index in stride(from: count - 1, through: 0, by: -1) {
                    buffer[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
                let bytes = buffer.bindMemory(to: UInt8.self)
                return plainPort(UnsafeBufferPointer(rebasing: bytes[..<count]))
            }
            if let port, port >= 1 { return port }
        }
        return try port(String(value), field: field)
    }
}
