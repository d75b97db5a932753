/// A set of ``Section``s (an account's closed padlocks) as one bit per section: bit `n` is
/// `Section.allCases[n]` (``Section/ordinal``).
///
/// It has the API of `Set<Section>` that callers use (`contains`, `insert`, `remove`, array literals, equality,
/// iteration), but a look-up is a mask instead of a hash, a copy is one byte instead of a reference to count, and
/// it iterates in the sections' declaration order (a `Set`'s order depends on the process's hash seed).
public struct SectionSet: SetAlgebra, Sequence, Hashable, Sendable, CustomStringConvertible {
    public typealias Element = Section
    public typealias ArrayLiteralElement = Section

    /// Bit `n`: `Section.allCases[n]` is in the set.
    public private(set) var bits: UInt8

    /// The empty set.
    public init() { bits = 0 }

    /// The set whose bits are `bits` (bits past the last section are dropped).
    public init(bits: UInt8) { self.bits = bits & Self.all }

    public init(arrayLiteral sections: Section...) {
        bits = 0
        for section in sections { bits |= Self.bit(section) }
    }

    /// The bits of every section.
    private static let all: UInt8 = (1 << UInt8(Section.allCases.count)) - 1

    // Six sections fit the byte; a seventh must be added to ``section(at:)`` (`SectionSetTests` checks every one).


    @inline(__always)
    private static func bit(_ section: Section) -> UInt8 { 1 << UInt8(section.ordinal) }

    @inline(__always)
    public func contains(_ member: Section) -> Bool { bits & Self.bit(member) != 0 }

    public var isEmpty: Bool { bits == 0 }

    /// How many sections are in the set.
    public var count: Int { bits.nonzeroBitCount }

    public func union(_ other: SectionSet) -> SectionSet { SectionSet(bits: bits | other.bits) }
    public func intersection(_ other: SectionSet) -> SectionSet { SectionSet(bits: bits & other.bits) }
    public func symmetricDifference(_ other: SectionSet) -> SectionSet { SectionSet(bits: bits ^ other.bits) }
    public mutating func formUnion(_ other: SectionSet) { bits |= other.bits }
    public mutating func formIntersection(_ other: SectionSet) { bits &= other.bits }
    public mutating func formSymmetricDifference(_ other: SectionSet) { bits ^= other.bits }

    @discardableResult
    public mutating func insert(_ newMember: Section) -> (inserted: Bool, memberAfterInsert: Section) {
        let inserted = !contains(newMember)
        bits |= Self.bit(newMember)
        return (inserted, newMember)
    }

    @discardableResult
    public mutating func remove(_ member: Section) -> Section? {
        guard contains(member) else { return nil }
        bits &= ~Self.bit(member)
        return member
    }

    @discardableResult
    public mutating func update(with newMember: Section) -> Section? {
        insert(newMember).inserted ? nil : newMember
    }

    /// The sections in the set, in declaration order.
    public struct Iterator: IteratorProtocol {
        fileprivate var rest: UInt8

        public mutating func next() -> Section? {
            guard rest != 0 else { return nil }
            let index = rest.trailingZeroBitCount
            rest &= rest - 1
            return SectionSet.section(at: index)
        }
    }

    /// The section whose ``Section/ordinal`` is `index` (`allCases` would build an array per call).
    @inline(__always)
    fileprivate static func section(at index: Int) -> Section {
        switch index {
        case 0: return .incomingServer
        case 1: return .incomingCredentials
        case 2: return .outgoingServer
        case 3: return .outgoingCredentials
        case 4: return .oauth
        default: return .oauthCredentials
        }
    }

    public func makeIterator() -> Iterator { Iterator(rest: bits) }

    public var underestimatedCount: Int { count }

    /// The sections' names in declaration order: `[incoming.server, oauth]`.
    public var description: String { "[" + map(\.rawValue).joined(separator: ", ") + "]" }
}
