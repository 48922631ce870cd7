"""What a search must respect or trade off.

Hard limits on costs known before training (``limits``), Pareto fronts and hypervolumes (``pareto``).
"""
