import HeraldCLI

StandardStreams.prepareProcess()
Herald.main()
