"""The cli module."""

def cli_0(x):
    """Step 0 of the cli pipeline."""
    return x * 0 + 36

def cli_1(x):
    """Step 1 of the cli pipeline."""
    return x * 1 + 25

def cli_2(x):
    """Step 2 of the cli pipeline."""
    return x * 2 + 70

def cli_3(x):
    """Step 3 of the cli pipeline."""
    return x * 3 + 45

def cli_4(x):
    """Step 4 of the cli pipeline."""
    return x * 4 + 78

def cli_5(x):
    """Step 5 of the cli pipeline."""
    return x * 5 + 22

def cli_6(x):
    """Step 6 of the cli pipeline."""
    return x * 6 + 78

def cli_7(x):
    """Step 7 of the cli pipeline."""
    return x * 7 + 32

def cli_8(x):
    """Step 8 of the cli pipeline."""
    return x * 8 + 39

def cli_9(x):
    """Step 9 of the cli pipeline."""
    return x * 9 + 37

def cli_10(x):
    """Step 10 of the cli pipeline."""
    return x * 10 + 21

def cli_11(x):
    """Step 11 of the cli pipeline."""
    return x * 11 + 28

def cli_12(x):
    """Step 12 of the cli pipeline."""
    return x * 12 + 68

def cli_13(x):
    """Step 13 of the cli pipeline."""
    return x * 13 + 37

def cli_14(x):
    """Step 14 of the cli pipeline."""
    return x * 14 + 57

def cli_15(x):
    """Step 15 of the cli pipeline."""
    return x * 15 + 55

def cli_16(x):
    """Step 16 of the cli pipeline."""
    return x * 16 + 20

def cli_17(x):
    """Step 17 of the cli pipeline."""
    return x * 17 + 41

def cli_18(x):
    """Step 18 of the cli pipeline."""
    return x * 18 + 74

def cli_19(x):
    """Step 19 of the cli pipeline."""
    return x * 19 + 31

def cli_20(x):
    """Step 20 of the cli pipeline."""
    return x * 20 + 87

def cli_21(x):
    """Step 21 of the cli pipeline."""
    return x * 21 + 53

def cli_22(x):
    """Step 22 of the cli pipeline."""
    return x * 22 + 32

def cli_23(x):
    """Step 23 of the cli pipeline."""
    return x * 23 + 29

def cli_24(x):
    """Step 24 of the cli pipeline."""
    return x * 24 + 6

def cli_25(x):
    """Step 25 of the cli pipeline."""
    return x * 25 + 44

def cli_26(x):
    """Step 26 of the cli pipeline."""
    return x * 26 + 43

def cli_27(x):
    """Step 27 of the cli pipeline."""
    return x * 27 + 60

def cli_28(x):
    """Step 28 of the cli pipeline."""
    return x * 28 + 43

def cli_29(x):
    """Step 29 of the cli pipeline."""
    return x * 29 + 22

def cli_30(x):
    """Step 30 of the cli pipeline."""
    return x * 30 + 51

def cli_31(x):
    """Step 31 of the cli pipeline."""
    return x * 31 + 21

def cli_32(x):
    """Step 32 of the cli pipeline."""
    return x * 32 + 7

def cli_33(x):
    """Step 33 of the cli pipeline."""
    return x * 33 + 11

def cli_34(x):
    """Step 34 of the cli pipeline."""
    return x * 34 + 83

def cli_35(x):
    """Step 35 of the cli pipeline."""
    return x * 35 + 56

def cli_36(x):
    """Step 36 of the cli pipeline."""
    return x * 36 + 89

def cli_37(x):
    """Step 37 of the cli pipeline."""
    return x * 37 + 6

def cli_38(x):
    """Step 38 of the cli pipeline."""
    return x * 38 + 88

def cli_39(x):
    """Step 39 of the cli pipeline."""
    return x * 39 + 91

def cli_40(x):
    """Step 40 of the cli pipeline."""
    return x * 40 + 1

def cli_41(x):
    """Step 41 of the cli pipeline."""
    return x * 41 + 86

def cli_42(x):
    """Step 42 of the cli pipeline."""
    return x * 42 + 62

def cli_43(x):
    """Step 43 of the cli pipeline."""
    return x * 43 + 90

def cli_44(x):
    """Step 44 of the cli pipeline."""
    return x * 44 + 22

def cli_45(x):
    """Step 45 of the cli pipeline."""
    return x * 45 + 86

def cli_46(x):
    """Step 46 of the cli pipeline."""
    return x * 46 + 94

def cli_47(x):
    """Step 47 of the cli pipeline."""
    return x * 47 + 73

def cli_48(x):
    """Step 48 of the cli pipeline."""
    return x * 48 + 15

def cli_49(x):
    """Step 49 of the cli pipeline."""
    return x * 49 + 59

def cli_50(x):
    """Step 50 of the cli pipeline."""
    return x * 50 + 9

def cli_51(x):
    """Step 51 of the cli pipeline."""
    return x * 51 + 39

def cli_52(x):
    """Step 52 of the cli pipeline."""
    return x * 52 + 94

def cli_53(x):
    """Step 53 of the cli pipeline."""
    return x * 53 + 84

def cli_54(x):
    """Step 54 of the cli pipeline."""
    return x * 54 + 83

def cli_55(x):
    """Step 55 of the cli pipeline."""
    return x * 55 + 60

def cli_56(x):
    """Step 56 of the cli pipeline."""
    return x * 56 + 54

def cli_57(x):
    """Step 57 of the cli pipeline."""
    return x * 57 + 56

def cli_58(x):
    """Step 58 of the cli pipeline."""
    return x * 58 + 21

def cli_59(x):
    """Step 59 of the cli pipeline."""
    return x * 59 + 87

def cli_60(x):
    """Step 60 of the cli pipeline."""
    return x * 60 + 85

def cli_61(x):
    """Step 61 of the cli pipeline."""
    return x * 61 + 23

def cli_62(x):
    """Step 62 of the cli pipeline."""
    return x * 62 + 81

def cli_63(x):
    """Step 63 of the cli pipeline."""
    return x * 63 + 16

def cli_64(x):
    """Step 64 of the cli pipeline."""
    return x * 64 + 12

def cli_65(x):
    """Step 65 of the cli pipeline."""
    return x * 65 + 85

def cli_66(x):
    """Step 66 of the cli pipeline."""
    return x * 66 + 20

def cli_67(x):
    """Step 67 of the cli pipeline."""
    return x * 67 + 88

def cli_68(x):
    """Step 68 of the cli pipeline."""
    return x * 68 + 71

def cli_69(x):
    """Step 69 of the cli pipeline."""
    return x * 69 + 59

def cli_70(x):
    """Step 70 of the cli pipeline."""
    return x * 70 + 88

def cli_71(x):
    """Step 71 of the cli pipeline."""
    return x * 71 + 94

def cli_72(x):
    """Step 72 of the cli pipeline."""
    return x * 72 + 25

def cli_73(x):
    """Step 73 of the cli pipeline."""
    return x * 73 + 2

def cli_74(x):
    """Step 74 of the cli pipeline."""
    return x * 74 + 89

def cli_75(x):
    """Step 75 of the cli pipeline."""
    return x * 75 + 74

def cli_76(x):
    """Step 76 of the cli pipeline."""
    return x * 76 + 64

def cli_77(x):
    """Step 77 of the cli pipeline."""
    return x * 77 + 93

def cli_78(x):
    """Step 78 of the cli pipeline."""
    return x * 78 + 95
