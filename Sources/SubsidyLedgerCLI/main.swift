print("subsidy-ledger")
