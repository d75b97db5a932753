/// The text of a new account's identifier (``Account/newID()``), written by words rather than byte by byte.
extension Account {
    /// The version-4 UUID, in lower case, made of two 64-bit draws: its sixteen bytes are the draws' bytes, least
    /// significant first (`first`'s, then `second`'s), with byte 6's high half set to the version (4) and byte 8's
    /// top two bits to the RFC 4122 variant (`10`). Each four bytes are written as eight hex digits at once
    /// (``hexDigits(_:)``) straight into the string's storage.
    static func identifierText(_ first: UInt64, _ second: UInt64) -> String {
        let first = first & ~(0xF0 << 48) | 0x40 << 48
        let second = second & ~0xC0 | 0x80
        let head = hexDigits(UInt32(truncatingIfNeeded: first)), middle = hexDigits(UInt32(truncatingIfNeeded: first >> 32))
        let third = hexDigits(UInt32(truncatingIfNeeded: second)), tail = hexDigits(UInt32(truncatingIfNeeded: second >> 32))
        let dash = UInt8(ascii: "-")
        return String(unsafeUninitializedCapacity: 36) { text in
            let out = UnsafeMutableRawPointer(text.baseAddress!)
            // 8-4-4-4-12 digits: bytes 0-3, 4-5, 6-7, 8-9, 10-15. Stored little-endian: the first digit first.
            out.storeBytes(of: head.littleEndian, as: UInt64.self)
            out.storeBytes(of: dash, toByteOffset: 8, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: middle).littleEndian, toByteOffset: 9, as: UInt32.self)
            out.storeBytes(of: dash, toByteOffset: 13, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: middle >> 32).littleEndian, toByteOffset: 14, as: UInt32.self)
            out.storeBytes(of: dash, toByteOffset: 18, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: third).littleEndian, toByteOffset: 19, as: UInt32.self)
            out.storeBytes(of: dash, toByteOffset: 23, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: third >> 32).littleEndian, toByteOffset: 24, as: UInt32.self)
            out.storeBytes(of: tail.littleEndian, toByteOffset: 28, as: UInt64.self)
            return 36
        }
    }

    /// The eight lower-case hex digits of `bytes`' four bytes, least significant byte first and each byte's high
    /// digit before its low one, as the ASCII bytes of a word read least significant byte first.
    @inline(__always)
    static func hexDigits(_ bytes: UInt32) -> UInt64 {
        // Byte i to bits 16i...16i+7, then its high digit's value to byte 2i and its low digit's to byte 2i+1.
        var spread = UInt64(bytes)
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF
        let nibbles = (spread >> 4) & 0x000F_000F_000F_000F | (spread & 0x000F_000F_000F_000F) << 8
        // 0-9 to `0`-`9`, 10-15 to `a`-`f` (0x27 further): a digit of 10 or more carries into bit 4 when 6 is added.
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }
}
