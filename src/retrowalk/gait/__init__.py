"""Gait analysis engines (pure core): phone IMU and video keypoints."""
