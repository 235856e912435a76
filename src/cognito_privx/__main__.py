from cognito_privx.console import main

main()
