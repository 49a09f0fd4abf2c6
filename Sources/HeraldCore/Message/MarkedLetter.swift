/// A rendered letter for people to read, cut where each recipient's values were put in, so
/// a review page can highlight what differs between letters. Never used to build a message:
/// the message's bytes come from ``LetterTemplate/render(_:addressColumns:)`` alone; the
/// pieces of a marked text, joined, are exactly the text that rendering produced.
public struct MarkedLetter: Sendable, Equatable {
    /// A run of rendered text: template text and field values, in order.
    public struct Text: Sendable, Equatable {
        public enum Piece: Sendable, Equatable {
            case text(String)
            /// A recipient's value, and the field (column) it came from.
            case field(name: String, value: String)
        }

        public var pieces: [Piece]

        public init(_ pieces: [Piece]) { self.pieces = pieces }

        /// The text as rendered, the values in place.
        public var plain: String {
            pieces.reduce(into: "") { out, piece in
                switch piece {
                case .text(let text): out += text
                case .field(_, let value): out += value
                }
            }
        }
    }

    /// One header as the template renders it (before MIME encoding).
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: Text
    }

    public var headers: [Header]
    public var body: Text
    /// False when the template renders each letter on its own (no shapes: a tag other than
    /// a plain name): the texts are then whole, with no value marked.
    public var fieldsMarked: Bool
}
