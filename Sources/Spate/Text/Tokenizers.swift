extension Utf8Text {
    /// The words of the text: runs of bytes between ASCII whitespace, as views of the same buffer.
    /// ```swift
    /// let words = lines.flatMap { $0.words }
    /// ```
    /// - Complexity: O(bytes) over a full iteration; allocates nothing.
    @inlinable public var words: Utf8Words { Utf8Words(text: self) }

    /// The words of the text as `TextKey`s, ready to count: `lines.flatMap { $0.wordKeys }.map { ($0, 1) }`.
    /// Cheaper than `words.map(TextKey.init)`: no view (and no reference to the buffer) per word.
    /// - Complexity: O(bytes) over a full iteration; allocates only for words longer than 15 bytes.
    @inlinable public var wordKeys: Utf8WordKeys { Utf8WordKeys(words: Utf8Words(text: self)) }

    /// Calls `body` with every word (run of bytes between ASCII whitespace), in order, allocating nothing.
    /// The fastest way to visit words inside `mapPartitions` or a hand-written loop.
    @inlinable
    public func forEachWord(_ body: (Utf8Text) throws -> Void) rethrows {
        try base.withUnsafeBufferPointer { p in
            var i = start
            while i < end {
                while i < end && Utf8Text.isSpace(p[i]) { i += 1 }
                if i == end { break }
                let s = i
                while i < end && !Utf8Text.isSpace(p[i]) { i += 1 }
                try body(Utf8Text(base: base, start: s, end: i))
            }
        }
    }

    /// The fields between every occurrence of `separator` (an ASCII byte such as `UInt8(ascii: ",")`),
    /// empty fields included, as views: `"a,,b"` gives `a`, ``, `b`.
    /// - Complexity: O(bytes) over a full iteration; allocates nothing.
    @inlinable
    public func split(separator: UInt8) -> Utf8Fields { Utf8Fields(text: self, separator: separator) }

    /// The field at `index` (counting from 0) between occurrences of `separator`, or nil when the text has
    /// fewer fields: `"1,u7,c3,view,2.5".field(3)` is `view`. Scans only up to the field.
    @inlinable
    public func field(_ index: Int, separator: UInt8 = UInt8(ascii: ",")) -> Utf8Text? {
        base.withUnsafeBufferPointer { p in
            var i = start, n = 0
            while n < index {
                while i < end && p[i] != separator { i += 1 }
                if i == end { return nil }
                i += 1
                n += 1
            }
            let s = i
            while i < end && p[i] != separator { i += 1 }
            return Utf8Text(base: base, start: s, end: i)
        }
    }

    /// Calls `body` with every field between occurrences of `separator` and its index, allocating nothing.
    @inlinable
    public func forEachField(separator: UInt8 = UInt8(ascii: ","), _ body: (Int, Utf8Text) throws -> Void) rethrows {
        try base.withUnsafeBufferPointer { p in
            var i = start, n = 0
            while true {
                let s = i
                while i < end && p[i] != separator { i += 1 }
                try body(n, Utf8Text(base: base, start: s, end: i))
                if i == end { break }
                i += 1
                n += 1
            }
        }
    }
}

/// The words of a `Utf8Text`: runs of bytes between ASCII whitespace, as views of the same buffer.
public struct Utf8Words: Sequence, Sendable {
    @usableFromInline let text: Utf8Text

    @inlinable init(text: Utf8Text) { self.text = text }

    /// An iterator over the words.
    @inlinable public func makeIterator() -> Iterator { Iterator(text: text) }

    /// Walks the words front to back.
    public struct Iterator: IteratorProtocol, Sendable {
        @usableFromInline let base: [UInt8]
        @usableFromInline var position: Int
        @usableFromInline let end: Int

        @inlinable init(text: Utf8Text) {
            base = text.base
            position = text.start
            end = text.end
        }

        /// The next word, or nil after the last.
        @inlinable
        public mutating func next() -> Utf8Text? {
            let (s, e) = base.withUnsafeBufferPointer { p -> (Int, Int) in
                var i = position
                while i < end && Utf8Text.isSpace(p[i]) { i += 1 }
                let s = i
                while i < end && !Utf8Text.isSpace(p[i]) { i += 1 }
                return (s, i)
            }
            position = e
            return s == e ? nil : Utf8Text(base: base, start: s, end: e)
        }
    }
}

/// The fields of a `Utf8Text` between occurrences of a separator byte, empty fields included.
public struct Utf8Fields: Sequence, Sendable {
    @usableFromInline let text: Utf8Text
    @usableFromInline let separator: UInt8

    @inlinable init(text: Utf8Text, separator: UInt8) {
        self.text = text
        self.separator = separator
    }

    /// An iterator over the fields.
    @inlinable public func makeIterator() -> Iterator { Iterator(text: text, separator: separator) }

    /// Walks the fields front to back.
    public struct Iterator: IteratorProtocol, Sendable {
        @usableFromInline let base: [UInt8]
        @usableFromInline var position: Int
        @usableFromInline let end: Int
        @usableFromInline let separator: UInt8
        @usableFromInline var done = false

        @inlinable init(text: Utf8Text, separator: UInt8) {
            base = text.base
            position = text.start
            end = text.end
            self.separator = separator
        }

        /// The next field, or nil after the last.
        @inlinable
        public mutating func next() -> Utf8Text? {
            if done { return nil }
            let s = position
            let e = base.withUnsafeBufferPointer { p -> Int in
                var i = s
                while i < end && p[i] != separator { i += 1 }
                return i
            }
            if e == end { done = true } else { position = e + 1 }
            return Utf8Text(base: base, start: s, end: e)
        }
    }
}

/// The words of a `Utf8Text` as `TextKey`s.
public struct Utf8WordKeys: Sequence, Sendable {
    @usableFromInline let words: Utf8Words

    @inlinable init(words: Utf8Words) { self.words = words }

    /// An iterator over the word keys.
    @inlinable public func makeIterator() -> Iterator { Iterator(words: words.makeIterator()) }

    /// Walks the words front to back, building a key for each.
    public struct Iterator: IteratorProtocol, Sendable {
        @usableFromInline var words: Utf8Words.Iterator

        @inlinable init(words: Utf8Words.Iterator) { self.words = words }

        /// The next word's key, or nil after the last.
        @inlinable
        public mutating func next() -> TextKey? {
            let end = words.end
            let (key, position): (TextKey?, Int) = words.base.withUnsafeBufferPointer { p in
                var i = words.position
                while i < end && Utf8Text.isSpace(p[i]) { i += 1 }
                let s = i
                while i < end && !Utf8Text.isSpace(p[i]) { i += 1 }
                return (s == i ? nil : TextKey(bytes: UnsafeBufferPointer(rebasing: p[s..<i])), i)
            }
            words.position = position
            return key
        }
    }
}
