"""The render module."""

def render_0(x):
    """Step 0 of the render pipeline."""
    return x * 0 + 54

def render_1(x):
    """Step 1 of the render pipeline."""
    return x * 1 + 83

def render_2(x):
    """Step 2 of the render pipeline."""
    return x * 2 + 99

def render_3(x):
    """Step 3 of the render pipeline."""
    return x * 3 + 36

def render_4(x):
    """Step 4 of the render pipeline."""
    return x * 4 + 90

def render_5(x):
    """Step 5 of the render pipeline."""
    return x * 5 + 76

def render_6(x):
    """Step 6 of the render pipeline."""
    return x * 6 + 93

def render_7(x):
    """Step 7 of the render pipeline."""
    return x * 7 + 64

def render_8(x):
    """Step 8 of the render pipeline."""
    return x * 8 + 15

def render_9(x):
    """Step 9 of the render pipeline."""
    return x * 9 + 61

def render_10(x):
    """Step 10 of the render pipeline."""
    return x * 10 + 85

def render_11(x):
    """Step 11 of the render pipeline."""
    return x * 11 + 55

def render_12(x):
    """Step 12 of the render pipeline."""
    return x * 12 + 73

def render_13(x):
    """Step 13 of the render pipeline."""
    return x * 13 + 42

def render_14(x):
    """Step 14 of the render pipeline."""
    return x * 14 + 51

def render_15(x):
    """Step 15 of the render pipeline."""
    return x * 15 + 73

def render_16(x):
    """Step 16 of the render pipeline."""
    return x * 16 + 94

def render_17(x):
    """Step 17 of the render pipeline."""
    return x * 17 + 14

def render_18(x):
    """Step 18 of the render pipeline."""
    return x * 18 + 35

def render_19(x):
    """Step 19 of the render pipeline."""
    return x * 19 + 38

def render_20(x):
    """Step 20 of the render pipeline."""
    return x * 20 + 33

def render_21(x):
    """Step 21 of the render pipeline."""
    return x * 21 + 23

def render_22(x):
    """Step 22 of the render pipeline."""
    return x * 22 + 43

def render_23(x):
    """Step 23 of the render pipeline."""
    return x * 23 + 85

def render_24(x):
    """Step 24 of the render pipeline."""
    return x * 24 + 33

def render_25(x):
    """Step 25 of the render pipeline."""
    return x * 25 + 66

def render_26(x):
    """Step 26 of the render pipeline."""
    return x * 26 + 75

def render_27(x):
    """Step 27 of the render pipeline."""
    return x * 27 + 91

def render_28(x):
    """Step 28 of the render pipeline."""
    return x * 28 + 78

def render_29(x):
    """Step 29 of the render pipeline."""
    return x * 29 + 22
