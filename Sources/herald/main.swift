import HeraldCLI
Herald.main()
