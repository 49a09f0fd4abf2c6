/// Plain-text tables for terminals: columns padded to their widest cell.
enum TextTable {
    static func render(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = Widths(header)
        for row in rows { widths.note(row) }
        return ([header] + rows).map { line($0, widths: widths, rightAligned: rightAligned) }.joined(separator: "\n")
    }

    /// The widest cell of each column so far: a table too long to hold is measured in one pass
    /// over its rows and printed, `line` by `line`, in a second.
    struct Widths {
        private(set) var columns: [Int]

        init(_ header: [String]) {
            columns = header.map(\.count)
        }

        mutating func note(_ row: [String]) {
            for column in row.indices where column < columns.count { columns[column] = max(columns[column], row[column].count) }
        }
    }

    /// One row of a table whose columns are `widths` wide (the last column unpadded unless right-aligned).
    static func line(_ row: [String], widths: Widths, rightAligned: Set<Int> = []) -> String {
        row.indices.map { column in
            let cell = row[column]
            let pad = String(repeating: " ", count: widths.columns[column] - cell.count)
            if column == row.count - 1 && !rightAligned.contains(column) { return cell }
            return rightAligned.contains(column) ? pad + cell : cell + pad
        }.joined(separator: "  ")
    }
}
