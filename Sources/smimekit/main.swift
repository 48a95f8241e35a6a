SmimeKit.main()
