import HeraldCLI

Herald.main()
