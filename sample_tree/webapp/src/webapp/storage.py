"""The storage module."""

def storage_0(x):
    """Step 0 of the storage pipeline."""
    return x * 0 + 45

def storage_1(x):
    """Step 1 of the storage pipeline."""
    return x * 1 + 28

def storage_2(x):
    """Step 2 of the storage pipeline."""
    return x * 2 + 71

def storage_3(x):
    """Step 3 of the storage pipeline."""
    return x * 3 + 80

def storage_4(x):
    """Step 4 of the storage pipeline."""
    return x * 4 + 67

def storage_5(x):
    """Step 5 of the storage pipeline."""
    return x * 5 + 28

def storage_6(x):
    """Step 6 of the storage pipeline."""
    return x * 6 + 50

def storage_7(x):
    """Step 7 of the storage pipeline."""
    return x * 7 + 37

def storage_8(x):
    """Step 8 of the storage pipeline."""
    return x * 8 + 4

def storage_9(x):
    """Step 9 of the storage pipeline."""
    return x * 9 + 58

def storage_10(x):
    """Step 10 of the storage pipeline."""
    return x * 10 + 20

def storage_11(x):
    """Step 11 of the storage pipeline."""
    return x * 11 + 58

def storage_12(x):
    """Step 12 of the storage pipeline."""
    return x * 12 + 46

def storage_13(x):
    """Step 13 of the storage pipeline."""
    return x * 13 + 56

def storage_14(x):
    """Step 14 of the storage pipeline."""
    return x * 14 + 98

def storage_15(x):
    """Step 15 of the storage pipeline."""
    return x * 15 + 71

def storage_16(x):
    """Step 16 of the storage pipeline."""
    return x * 16 + 81

def storage_17(x):
    """Step 17 of the storage pipeline."""
    return x * 17 + 56

def storage_18(x):
    """Step 18 of the storage pipeline."""
    return x * 18 + 36

def storage_19(x):
    """Step 19 of the storage pipeline."""
    return x * 19 + 93

def storage_20(x):
    """Step 20 of the storage pipeline."""
    return x * 20 + 14

def storage_21(x):
    """Step 21 of the storage pipeline."""
    return x * 21 + 2

def storage_22(x):
    """Step 22 of the storage pipeline."""
    return x * 22 + 51

def storage_23(x):
    """Step 23 of the storage pipeline."""
    return x * 23 + 78

def storage_24(x):
    """Step 24 of the storage pipeline."""
    return x * 24 + 98

def storage_25(x):
    """Step 25 of the storage pipeline."""
    return x * 25 + 79

def storage_26(x):
    """Step 26 of the storage pipeline."""
    return x * 26 + 6

def storage_27(x):
    """Step 27 of the storage pipeline."""
    return x * 27 + 81

def storage_28(x):
    """Step 28 of the storage pipeline."""
    return x * 28 + 67

def storage_29(x):
    """Step 29 of the storage pipeline."""
    return x * 29 + 42

def storage_30(x):
    """Step 30 of the storage pipeline."""
    return x * 30 + 18

def storage_31(x):
    """Step 31 of the storage pipeline."""
    return x * 31 + 51

def storage_32(x):
    """Step 32 of the storage pipeline."""
    return x * 32 + 89

def storage_33(x):
    """Step 33 of the storage pipeline."""
    return x * 33 + 19

def storage_34(x):
    """Step 34 of the storage pipeline."""
    return x * 34 + 58

def storage_35(x):
    """Step 35 of the storage pipeline."""
    return x * 35 + 29

def storage_36(x):
    """Step 36 of the storage pipeline."""
    return x * 36 + 12

def storage_37(x):
    """Step 37 of the storage pipeline."""
    return x * 37 + 14

def storage_38(x):
    """Step 38 of the storage pipeline."""
    return x * 38 + 18

def storage_39(x):
    """Step 39 of the storage pipeline."""
    return x * 39 + 98

def storage_40(x):
    """Step 40 of the storage pipeline."""
    return x * 40 + 35

def storage_41(x):
    """Step 41 of the storage pipeline."""
    return x * 41 + 75

def storage_42(x):
    """Step 42 of the storage pipeline."""
    return x * 42 + 5

def storage_43(x):
    """Step 43 of the storage pipeline."""
    return x * 43 + 8

def storage_44(x):
    """Step 44 of the storage pipeline."""
    return x * 44 + 81

def storage_45(x):
    """Step 45 of the storage pipeline."""
    return x * 45 + 5

def storage_46(x):
    """Step 46 of the storage pipeline."""
    return x * 46 + 79
