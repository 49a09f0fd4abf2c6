import ArgumentParser
public struct Herald: ParsableCommand { public init() {} }
